// Loads an npm package from bench/peers/node_modules. These scripts are Node's, but they sit
// inside a Deno project, and `deno check bench/` would try (and fail) to resolve a static
// `import ... from "pg-boss"`; a dynamic import of a computed name is left to Node alone.

/** Imports the package `name` as Node resolves it from bench/peers. */
export function load(name) {
  return import(name);
}
