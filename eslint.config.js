// Lint config: typescript-eslint's recommended rules over src, test and bench. AssemblyScript (assembly/) is
// checked by its own compiler (asc), whose types (i32, v128, load<T>) plain TypeScript does not know.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'build/',
      'assembly/',
      'src/core/wasm-binary.ts',
      'quanta-out/',
      'web/dist/',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
