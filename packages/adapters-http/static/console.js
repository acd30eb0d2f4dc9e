// The console's only script (docs/http-api.md#web-console), loaded as a static file under the
// Content-Security-Policy `script-src 'self'`: it shows the Copy button next to a secret that is
// shown once, and copies the secret to the clipboard. Without it the secret can still be selected.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const target = document.getElementById(button.dataset.copy);
    const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
    if (target === null) continue;
    button.hidden = false;
    button.addEventListener('click', () => {
      target.select();
      const done = (message) => {
        if (status !== null) status.textContent = message;
      };
      if (navigator.clipboard === undefined) {
        done('Copying is not available here: the secret is selected, copy it yourself.');
        return;
      }
      navigator.clipboard.writeText(target.value).then(
        () => done('Copied to the clipboard.'),
        () => done('Could not copy: the secret is selected, copy it yourself.'),
      );
    });
  }
});
