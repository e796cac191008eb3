// Pulumi entry point (Pulumi.yaml `main: infra/`): Pulumi calls the exported function and takes the
// object it resolves to as the stack outputs. Everything else lives in src/.
import { program } from './src/program';

export = program;
