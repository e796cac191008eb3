/**
 * The command the service images run (the CMD of docker/Dockerfile and docker/Dockerfile.gpu): node,
 * its options, the compiled entry point. The pod runs it as the container's args with V8 heap flags
 * after `node` (infra/src/workload/pod.ts), so the images and the pod share this one copy.
 */
export const SERVICE_IMAGE_COMMAND = ['node', '--conditions=compiled', 'service/dist/src/main.js'] as const;
