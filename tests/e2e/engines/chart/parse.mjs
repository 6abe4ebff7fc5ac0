// Parse Mermaid chart sources with Mermaid's own parser and print what it would plot, as JSON.
//
//   node parse.mjs < blocks.json     (a JSON array of chart sources, without the ``` fences)
//
// Prints one JSON array: per source either {type, title, config (set by the source), xAxis, yAxis, plots: [{type, title, values}]}
// or {error}. The node_modules folder comes from CFBILLING_CHART_MODULES (tests/e2e/engines/prepare.py fills it), else
// the one beside this file. Mermaid needs a DOM even to parse: jsdom provides one.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const modules = process.env.CFBILLING_CHART_MODULES || join(dirname(fileURLToPath(import.meta.url)), 'node_modules');
const require = createRequire(join(modules, 'resolver.js'));
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ['DOMParser', 'Element', 'HTMLElement', 'SVGElement', 'Node']) {
  if (!(name in globalThis)) globalThis[name] = dom.window[name];
}
const mermaidPath = join(modules, 'mermaid', 'dist', 'mermaid.core.mjs');
const { default: mermaid } = await import(pathToFileURL(mermaidPath).href);
mermaid.initialize({ startOnLoad: false });

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const source of JSON.parse(input)) {
  try {
    // What front matter or a %%{init}%% directive in the source sets (a chart of ours sets nothing).
    const { config } = await mermaid.parse(source);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(source);
    const data = diagram.db.getXYChartData();
    results.push({
      type: diagram.type,
      title: diagram.db.getDiagramTitle(),
      config,
      xAxis: data.xAxis,
      yAxis: data.yAxis,
      plots: data.plots.map((plot) => ({ type: plot.type, title: plot.title, values: plot.data.map((p) => p[1]) })),
    });
  } catch (error) {
    results.push({ error: String(error && error.message ? error.message : error) });
  }
}
process.stdout.write(JSON.stringify(results));
