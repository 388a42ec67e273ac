// What every part of the page shares to speak to the person: elements by id, the status line,
// the alert, and calls into the viewer that may refuse bad input.

export const $ = (id) => document.getElementById(id);

/** The one line saying what the page is doing. */
export function showStatus(message) {
  $('status').textContent = message;
}

/** Errors stay on screen until the person dismisses them or acts again. */
export function showError(message) {
  const alert = $('alert');
  alert.querySelector('span').textContent = message;
  alert.hidden = false;
}

/** Runs a viewer call; bad input shows a message and changes nothing. */
export function attempt(what, call) {
  try {
    return call();
  } catch (e) {
    showError(`${what} failed: ${e.message}`);
    return undefined;
  }
}
