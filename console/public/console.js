// Small progressive enhancements; every page works without this file.
(function () {
  'use strict';

  // Destructive forms (refuse, merge) ask once before submitting.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form || form.tagName !== 'FORM') return;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One click, one submission: a second click on a slow network would hit the stale-version check.
    var buttons = form.querySelectorAll('button[type="submit"]');
    for (var i = 0; i < buttons.length; i += 1) buttons[i].setAttribute('disabled', 'disabled');
  });

  // After a refused command the error is announced; move keyboard focus to it as well.
  document.addEventListener('DOMContentLoaded', function () {
    var error = document.getElementById('loi-thao-tac');
    if (error) {
      error.setAttribute('tabindex', '-1');
      error.focus();
    }
  });
})();
