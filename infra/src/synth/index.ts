// The offline synth API other packages use (`@ml-platform/infra/synth`): run a stack or a component
// under mocks, and render what it declared.
export * from './run';
export * from './render';
// The stack program itself, for tests that run it under mocks by hand (runUnderMocks).
export { program } from '../program';
