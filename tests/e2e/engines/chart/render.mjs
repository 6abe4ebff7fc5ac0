// Draw the first Mermaid block of a markdown file (a step summary) in Chromium, as GitHub would: a PNG to look at.
//
//   node render.mjs summary.md chart.png [/usr/bin/chromium]
//
// Not a test: a person looks at the picture (README, "Pictures in CI"). Uses puppeteer-core with the system's
// Chromium (Debian: apt-get install chromium) and the pinned Mermaid from node_modules (CFBILLING_CHART_MODULES).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [input, output, browser = '/usr/bin/chromium'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node render.mjs SUMMARY.md OUT.png [CHROMIUM]');
  process.exit(2);
}
const modules = process.env.CFBILLING_CHART_MODULES || join(dirname(fileURLToPath(import.meta.url)), 'node_modules');
const require = createRequire(join(modules, 'resolver.js'));
const puppeteer = require('puppeteer-core');
const block = /```mermaid\n([\s\S]*?)```/.exec(readFileSync(input, 'utf8'));
if (!block) {
  console.error(`no mermaid block in ${input}`);
  process.exit(1);
}
const chrome = await puppeteer.launch({ executablePath: browser, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await chrome.newPage();
  await page.setViewport({ width: 900, height: 600, deviceScaleFactor: 1 });
  await page.setContent('<!doctype html><html><body style="background:#fff"><div id="chart"></div></body></html>');
  await page.addScriptTag({ path: join(modules, 'mermaid', 'dist', 'mermaid.min.js') });
  const error = await page.evaluate(async (source) => {
    try {
      window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
      const { svg } = await window.mermaid.render('runway', source);
      document.getElementById('chart').innerHTML = svg;
      return null;
    } catch (e) {
      return String(e && e.message ? e.message : e);
    }
  }, block[1]);
  if (error) {
    console.error(`mermaid: ${error}`);
    process.exit(1);
  }
  const chart = await page.$('#chart svg');
  await chart.screenshot({ path: output });
  console.log(output);
} finally {
  await chrome.close();
}
