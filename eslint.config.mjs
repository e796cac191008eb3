import { readFileSync } from 'node:fs';
import tseslint from 'typescript-eslint';

// Package boundaries: code reaches another workspace only through its public entry points (the
// `exports` map of its package.json), never into its src/. Read from the root package.json, so a new
// workspace is covered as soon as it is listed there. A package's own tests may import its own src/.
const { workspaces } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const workspaceNames = workspaces.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
const packageBoundaries = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          regex: '^@ml-platform/[^/]+/src(/|$)',
          message: "Import the package's public entry (its package.json exports), not its src/.",
        },
        {
          regex: `^(\\.\\./)+(${workspaceNames})/src(/|$)`,
          message:
            "Another package's src/ is private: import it by package name through its exports map (@ml-platform/<name>).",
        },
      ],
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'out/**',
      'coverage/**',
      '.venv/**',
      'loadtests/dist/**',
      'service/console/public/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      ...packageBoundaries,
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
