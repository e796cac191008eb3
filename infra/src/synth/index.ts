// The offline synth API other packages use (`@ml-platform/infra/synth`): run a stack or a component
// under mocks, and render what it declared.
export * from './run';
export * from './render';
