/** Test support: just enough of the Dockerfile grammar to check stages, instructions and their arguments. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (buffer === '' && (line === '' || line.startsWith('#'))) return;
    if (buffer === '') start = i + 1;
    if (line.startsWith('#')) return; // a comment inside a continued instruction
    buffer += `${line.replace(/\\$/, '').trim()} `;
    if (line.endsWith('\\')) return;
    const m = /^(\S+)\s*(.*)$/.exec(buffer.trim());
    if (m) instructions.push({ keyword: m[1].toUpperCase(), args: m[2], line: start });
    buffer = '';
  });
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: unreadable FROM ${ins.args}`);
      stages.push({ from: m[1], name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      args.push(ins);
    } else {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return { args, stages };
}

/** `.dockerignore` semantics: the last matching pattern wins; `!` re-includes. */
export function dockerIgnored(patterns: string[], file: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const p = raw.trim();
    if (p === '' || p.startsWith('#')) continue;
    const negate = p.startsWith('!');
    const glob = negate ? p.slice(1) : p;
    const re = new RegExp(
      `^${glob
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*')}(/.*)?$`,
    );
    if (re.test(file)) ignored = !negate;
  }
  return ignored;
}
