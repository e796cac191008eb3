import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'out/**', 'coverage/**', 'loadtests/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The k6 bundle takes these; a schema library there would ship to every load generator.
    files: ['contract/src/names/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(zod|\\.\\./)', message: 'contract/names stays dependency-free' }] },
      ],
    },
  },
);
