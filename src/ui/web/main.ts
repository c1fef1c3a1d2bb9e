// Boot: log in when the API asks for it, then start the display. `?kiosk=1` is the wall mode
// (`&cycle=N` seconds per saved view); `?expand=all` opens every host group; `?path=SRC,DST` highlights
// the observed path of the flows from SRC to DST.
import { App } from './app.ts';
import { authorized, login } from './net/api.ts';
import { $ } from './ui/dom.ts';
import { installTestHooks } from './test-hooks.ts';
import { installTimelineWall } from './ui/timeline-wall.ts';

const params = new URLSearchParams(location.search);

function showLogin(): Promise<void> {
  const box = $('login');
  box.hidden = false;
  const form = $('login-form') as HTMLFormElement;
  return new Promise((resolve) => {
    form.onsubmit = (e) => {
      e.preventDefault();
      const fd = new FormData(form);
      login(String(fd.get('username') ?? ''), String(fd.get('password') ?? ''))
        .then(() => {
          box.hidden = true;
          resolve();
        })
        .catch((err: Error) => ($('login-err').textContent = err.message));
    };
  });
}

async function boot(): Promise<void> {
  let ok = false;
  try {
    ok = await authorized();
  } catch {
    ok = true; // collector unreachable: start anyway, the subscriber retries and shows the banner
  }
  if (!ok) await showLogin();
  const app = new App({
    kiosk: params.get('kiosk') === '1',
    cycleSeconds: Number(params.get('cycle') ?? 20),
    expandAll: params.get('expand') === 'all',
    ...(params.get('path') ? { filter: `path ${params.get('path')!.split(',').join(' ')}` } : {}),
  });
  installTestHooks(app);
  // The change list and cabling check (read by the browser tests as window.__canopyTimeline).
  (window as unknown as { __canopyTimeline: unknown }).__canopyTimeline = installTimelineWall(app);
  app.start();
}

void boot();
