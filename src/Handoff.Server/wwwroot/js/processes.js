// Draws the process diagram from the Mermaid text the server wrote into <pre class="mermaid">.
// strict: labels are text, never HTML; htmlLabels off keeps the labels SVG text (no foreignObject),
// which the page's own stylesheet can style under the CSP.
(function () {
    if (typeof mermaid === 'undefined') return;
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', flowchart: { htmlLabels: false } });
    mermaid.run({ querySelector: 'pre.mermaid' });
})();
