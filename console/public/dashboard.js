// Draws the dashboard's charts from the JSON in each [data-chart] attribute (no inline scripts: the CSP
// forbids them). The tables under each chart carry the same numbers for keyboard and screen-reader users.
(function () {
  'use strict';

  var PALETTE = ['#1e40af', '#b91c1c', '#166534', '#92400e', '#6d28d9', '#0e7490', '#be185d', '#4d7c0f', '#52606d'];

  function draw(holder) {
    var spec;
    try {
      spec = JSON.parse(holder.getAttribute('data-chart') || '');
    } catch {
      return;
    }
    if (!spec || !spec.labels || spec.labels.length === 0) return;
    var canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', holder.getAttribute('data-chart-label') || 'Biểu đồ');
    holder.appendChild(canvas);
    var datasets = spec.datasets.map(function (d, i) {
      var color = PALETTE[i % PALETTE.length];
      return {
        label: d.label,
        data: d.data,
        backgroundColor: spec.type === 'line' ? color : color + 'cc',
        borderColor: color,
        borderWidth: spec.type === 'line' ? 2 : 1,
        tension: 0.2,
      };
    });
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: datasets.length > 1 } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!window.Chart) return;
    var holders = document.querySelectorAll('[data-chart]');
    for (var i = 0; i < holders.length; i += 1) draw(holders[i]);
  });
})();
