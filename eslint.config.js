// Flat ESLint config: typed linting for the Node side (main, shared, devserver, tests) and the renderer.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";

export default tseslint.config(
  { ignores: ["out/**", "node_modules/**", "coverage/**", "test-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    files: ["src-renderer/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    languageOptions: {
      parserOptions: { project: "./tsconfig.web.json", projectService: false },
      globals: { ...globals.browser },
    },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  {
    // Only the Electron shell may import electron (docs/ARCHITECTURE.md §2).
    files: ["src-main/**/*.ts", "src-shared/**/*.ts", "src-renderer/**/*.{ts,tsx}", "devserver/**/*.ts"],
    ignores: ["src-main/electron/**"],
    rules: { "no-restricted-imports": ["error", { paths: ["electron"] }] },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
