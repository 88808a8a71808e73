/**
 * What every view of the console is given: the API client, the signed-in account, navigation
 * and messages.
 *
 * @module
 */

import type { Api, Me } from "./api.ts";

/** The console as a view sees it. */
export interface App {
  readonly api: Api;
  readonly me: Me;
  /** A root principal (superadmin): acts on every organisation. */
  readonly root: boolean;
  /** The current page's query (e.g. `key_id` for the usage page). */
  readonly query: URLSearchParams;
  /** Go to a console page (`/console/<page>`), with a query. */
  go(page: string, query?: Record<string, string>): void;
  /** Show a message above the page. */
  flash(message: string, kind?: "ok" | "error"): void;
  /** Show an error (an ApiError's message, or any error's). */
  fail(e: unknown): void;
  /** Render the current page again. */
  refresh(): void;
}

/** A page: builds its content (it may load data first). */
export type View = (app: App) => Promise<Node>;
