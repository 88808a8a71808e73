/**
 * The documentation pages generated from code, by path under the repository root: what
 * `deno task docs` writes (then formats with `deno fmt`) and what a test holds the files to.
 *
 * @module
 */

import { configReferenceMarkdown } from "../config/reference_md.ts";
import { cliReferenceMarkdown } from "./reference_md.ts";

/** Path → the page's Markdown, before `deno fmt`. */
export const GENERATED_DOCS: Readonly<Record<string, () => string>> = {
  "docs/configuration.md": configReferenceMarkdown,
  "docs/cli.md": cliReferenceMarkdown,
};
