/** IPC between the cluster primary and its workers. */
export type RepositoryOp = 'load' | 'unload';

export type ClusterMessage =
  | { type: 'metrics:collect'; id: number }
  | { type: 'metrics:result'; id: number; text: string }
  | { type: 'repository:request'; id: number; op: RepositoryOp; model: string; configJson?: string }
  | { type: 'repository:run'; id: number; op: RepositoryOp; model: string; configJson?: string }
  | { type: 'repository:ran'; id: number; error?: { status: number; message: string } }
  | { type: 'repository:result'; id: number; error?: { status: number; message: string } };
