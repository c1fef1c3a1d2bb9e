// Webhook payloads (docs/alerts.md#webhooks): Alertmanager's v2 alerts JSON (a list of alerts with
// labels, annotations, startsAt and, once resolved, endsAt) and Slack-compatible `{text}`.
import type { Transition } from './state.ts';

export type WebhookFormat = 'alertmanager' | 'slack';

/** A state change as the engine hands it to delivery: the rule it belongs to and its transition. */
export interface Notice {
  rule: string;
  description?: string;
  transition: Transition;
}

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function alertmanagerAlert(n: Notice, generatorURL?: string): AlertmanagerAlert {
  const t = n.transition;
  return {
    // alertname first, then the element's labels; `element` keys the instance (Alertmanager groups by labels).
    labels: { alertname: n.rule, element: t.key, ...t.subject.labels },
    annotations: { summary: t.subject.summary, ...(n.description ? { description: n.description } : {}) },
    startsAt: iso(t.startsAt),
    ...(t.endsAt !== undefined ? { endsAt: iso(t.endsAt) } : {}),
    ...(generatorURL ? { generatorURL } : {}),
  };
}

export function slackText(notices: readonly Notice[]): string {
  return notices
    .map((n) => {
      const t = n.transition;
      const mark = t.status === 'firing' ? '[FIRING]' : '[RESOLVED]';
      const when = t.status === 'firing' ? `since ${iso(t.startsAt)}` : `at ${iso(t.endsAt ?? t.startsAt)}`;
      return `${mark} ${n.rule}: ${t.subject.summary} (${when})`;
    })
    .join('\n');
}

/** The request body for one batch of notices. */
export function payload(format: WebhookFormat, notices: readonly Notice[], generatorURL?: string): unknown {
  return format === 'slack' ? { text: slackText(notices) } : notices.map((n) => alertmanagerAlert(n, generatorURL));
}
