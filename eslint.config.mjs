// `npm run lint`: ESLint over every TypeScript and JavaScript file, then `prettier --check .`.
// typescript-eslint's recommended rules without type information (fast: no program is built);
// eslint-config-prettier turns off the formatting rules Prettier owns, so the two never disagree.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  // Build output, reports, and files this repository does not author (vendored add-ons, golden stacks).
  globalIgnores(["cdktf.out/", "dist/", "reports/", ".stryker-tmp/", ".gen/", "addons/", "__tests__/golden/"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  prettier,
  {
    files: ["**/*.{ts,js,mjs,cjs}"],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Prettier wraps code at 120 but leaves long strings, comments and template literals alone;
      // this catches them, with no exemption: a long import or URL is wrapped too.
      "max-len": ["error", { code: 120 }],
      // `const { omitted, ...rest } = x` is how a field is dropped from a copy; the rest is what is used.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
  {
    // The Jest configuration and the benchmark's probe are CommonJS modules that Node and Jest load as they are.
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["__tests__/**/*.ts"],
    languageOptions: { globals: { ...globals.jest } },
    rules: {
      // Tests walk synthesized Terraform JSON by path; a wrong path fails the assertion that reads it.
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
