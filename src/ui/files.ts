// The wall display's files as the UI component exposes them to the HTTP API (api/routes/ui.ts).

export interface UiFiles {
  /** Requests the UI answers without credentials (the login page must load before a session). */
  isPublic(method: string, path: string): boolean;
  /** The file's response, or undefined to let the API answer. */
  serve(req: Request): Promise<Response | undefined>;
}
