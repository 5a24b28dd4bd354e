// Live preview of a template while the admin types: posts the text to the preview endpoint (nothing is
// saved) and shows the answer with textContent, so whatever the template prints stays text.
(function () {
  'use strict';

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('template-form');
    var output = document.getElementById('template-preview');
    var errorBox = document.getElementById('template-preview-error');
    if (!form || !output || !errorBox || !window.fetch || !window.FormData || !window.URLSearchParams) return;
    var url = form.getAttribute('data-preview-url');
    var timer = null;
    var sequence = 0;

    function refresh() {
      var mine = (sequence += 1);
      var body = new window.URLSearchParams(new window.FormData(form));
      window.fetch(url, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
        credentials: 'same-origin',
      })
        .then(function (res) {
          return res.json();
        })
        .then(function (result) {
          if (mine !== sequence) return;
          if (result.ok) {
            output.textContent = result.text;
            errorBox.textContent = '';
          } else {
            errorBox.textContent = result.error || 'Không xem trước được mẫu.';
          }
        })
        .catch(function () {
          if (mine === sequence) errorBox.textContent = 'Không kết nối được máy chủ để xem trước.';
        });
    }

    form.addEventListener('input', function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
  });
})();
