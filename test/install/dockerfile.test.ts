// The Dockerfile is linted here, not built: no container engine runs on this machine or in CI.
// dockerfile-utils (the validator behind the VS Code Docker language server) reports every problem
// it knows as an error, and Canopy's own rules — written against dockerfile-ast's parse, in the
// spirit of hadolint, which is neither in Debian nor on npm — check multi-stage, a pinned Node 20
// slim base, a non-root user, apt hygiene, lockfile installs and the exposed ports.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TEXT = readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8');
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

/** Canopy's rules; returns the problems found. */
function policy(text: string): string[] {
  const df = DockerfileParser.parse(text);
  const problems: string[] = [];
  const froms = df.getFROMs();
  if (froms.length < 2) problems.push('not multi-stage');
  const stages = new Set(froms.map((f) => f.getBuildStage()).filter(Boolean));
  for (const f of froms) {
    const tag = f.getImageTag();
    if (!tag || tag === 'latest') problems.push(`base image ${f.getImageName()} not pinned to a tag`);
  }
  const last = froms[froms.length - 1];
  if (!last || last.getImageName() !== 'node' || !/^20(\.\d+)*-[a-z]+-slim$|^20-slim$/.test(last.getImageTag() ?? ''))
    problems.push('final stage is not Node 20 slim');
  const all = df.getInstructions();
  const finalStart = last ? all.indexOf(last) : 0;
  const final = all.slice(finalStart);
  const users = final.filter((i) => i.getKeyword() === 'USER').map((i) => i.getArgumentsContent()?.split(':')[0]);
  const user = users[users.length - 1];
  if (!user || user === 'root' || user === '0') problems.push('final stage runs as root');
  const entry = final.findIndex((i) => i.getKeyword() === 'ENTRYPOINT' || i.getKeyword() === 'CMD');
  const userAt = final.findIndex((i) => i.getKeyword() === 'USER');
  if (entry < 0 || userAt < 0 || userAt > entry) problems.push('USER must come before ENTRYPOINT/CMD');
  for (const i of all) {
    const k = i.getKeyword();
    const args = i.getArgumentsContent() ?? '';
    if (k === 'RUN' && /apt-get install/.test(args)) {
      if (!args.includes('--no-install-recommends'))
        problems.push(`line ${i.getRange().start.line + 1}: apt-get install without --no-install-recommends`);
      if (!args.includes('rm -rf /var/lib/apt/lists')) problems.push(`line ${i.getRange().start.line + 1}: apt lists left in the layer`);
      if (!/apt-get update/.test(args))
        problems.push(`line ${i.getRange().start.line + 1}: apt-get install without update in the same layer`);
    }
    if (k === 'RUN' && /\bnpm (install|i)\b(?![^&]*(--global|-g|\.tgz))/.test(args))
      problems.push('npm install of the project instead of npm ci');
    if ((k === 'COPY' || k === 'ADD') && /--from=(\S+)/.test(args)) {
      const from = /--from=(\S+)/.exec(args)![1]!;
      if (!stages.has(from)) problems.push(`COPY --from=${from}: no such stage`);
    }
    if (k === 'ADD' && !/https?:|\.tar/.test(args)) problems.push('ADD where COPY would do');
  }
  return problems;
}

const exposed = (text: string) =>
  DockerfileParser.parse(text)
    .getInstructions()
    .filter((i) => i.getKeyword() === 'EXPOSE')
    .flatMap((i) => (i.getArgumentsContent() ?? '').split(/\s+/));

describe('Dockerfile', () => {
  it('has no problem dockerfile-utils knows of, each treated as an error', () => {
    expect(validate(TEXT, STRICT).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(validate('FROM node:20-slim\nCMD ["a"]\nCMD ["b"]\n', STRICT).length).toBeGreaterThan(0);
  });

  it('is multi-stage, on a pinned Node 20 slim, non-root, with apt and npm used cleanly', () => {
    expect(policy(TEXT)).toEqual([]);
    // The rules find what they look for.
    expect(policy('FROM node:latest\nRUN apt-get install -y curl\nCMD ["canopy"]\n')).toEqual(
      expect.arrayContaining([
        'not multi-stage',
        'base image node not pinned to a tag',
        'final stage runs as root',
        'line 2: apt-get install without --no-install-recommends',
      ]),
    );
  });

  it("exposes the collector's default ports (API, flows, unprivileged trap port)", () => {
    const cfg = loadConfig({ env: {} });
    const port = (l: string | string[]) =>
      Number(
        String(Array.isArray(l) ? l[0] : l)
          .split(':')
          .pop(),
      );
    const want = [
      `${port(cfg.api.listen)}/tcp`,
      `${port(cfg.sflow.listen)}/udp`,
      `${port(cfg.netflow.listen)}/udp`,
      `${port(cfg.ipfix.listen)}/udp`,
      `${port(cfg.snmp.traps.listen)}/udp`,
    ];
    expect(exposed(TEXT).sort()).toEqual(want.sort());
  });

  it('keeps the checkout out of the build context (.dockerignore)', () => {
    const ignore = readFileSync(resolve(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'build', 'dist', 'data', '.git']) expect(ignore).toContain(p);
  });
});
