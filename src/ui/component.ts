// The UI component: serves the built wall display (dist/ui) at `/`. Its files are public — the
// login page must load before there is a session — while every API and WebSocket request stays
// behind the API's auth.
import { existsSync } from 'node:fs';
import type { Component, ComponentSpec } from '../component/contract.ts';
import { give } from '../component/contract.ts';
import { UI_FILES } from '../component/provisions.ts';
import type { UiFiles } from './files.ts';
import type { Logger } from '../util/log.ts';
import { ensureUiBuilt, UI_SOURCES } from './build.ts';
import { DEFAULT_UI_DIR, StaticUi } from './serve.ts';

/** Paths that always belong to the API, never to the UI's files. */
const API_PATHS = /^\/(api|ws)(\/|$)|^\/(login|logout|metrics|healthz)$/;

export class UiComponent implements Component, UiFiles {
  readonly name = 'ui';
  private served = 0;

  constructor(
    private readonly ui: StaticUi = new StaticUi(),
    private readonly log?: Logger,
    private readonly buildOnStart: boolean = ui.dir === DEFAULT_UI_DIR,
  ) {}

  /**
   * Started from a checkout (UI sources beside the code), the default UI folder is built when it is
   * missing or older than its sources, so every way of starting the collector serves the wall, not
   * only `npm start`. A failed build leaves the API up and the 503 page naming the fix.
   */
  async start(): Promise<void> {
    if (!this.buildOnStart || !existsSync(UI_SOURCES)) return;
    try {
      await ensureUiBuilt((line) => this.log?.info(line), this.ui.dir);
    } catch (e) {
      this.log?.warn({ err: (e as Error).message }, 'could not build the web UI; run npm run build:ui');
    }
  }
  async stop(): Promise<void> {}

  status(): Record<string, unknown> {
    return { dir: this.ui.dir, built: this.ui.built, served: this.served, ...(this.ui.built ? {} : { hint: 'npm run build:ui' }) };
  }

  isPublic(method: string, path: string): boolean {
    return (method === 'GET' || method === 'HEAD') && !API_PATHS.test(path);
  }

  async serve(req: Request): Promise<Response | undefined> {
    const res = await this.ui.handle(req);
    if (res) this.served++;
    return res;
  }
}

export function uiComponent(dir?: string): ComponentSpec {
  return {
    name: 'ui',
    provides: [UI_FILES],
    create(ctx) {
      const ui = new UiComponent(dir === undefined ? undefined : new StaticUi(dir), ctx.log.child({ component: 'ui' }));
      return { component: ui, provides: [give(UI_FILES, ui)] };
    },
  };
}
