// The wall display's files at `/`, served through what the UI component exposes. Registered after
// the API's own routes, so it only sees what they did not answer.
import type { ApiApp } from '../app.ts';
import type { UiFiles } from '../../ui/files.ts';

export function registerUiRoutes(app: ApiApp, ui: UiFiles): void {
  app.use('*', async (c, next) => {
    if (!ui.isPublic(c.req.method, c.req.path)) return next();
    return (await ui.serve(c.req.raw)) ?? next();
  });
}
