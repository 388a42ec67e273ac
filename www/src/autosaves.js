// The autosaves of other tabs, listed under the training controls: each can be opened here as a
// copy, and one whose tab is closed can be discarded. Nothing else ever deletes another tab's
// autosave.

const timeOf = (ms) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export class OtherAutosaves {
  /**
   * @param {HTMLDetailsElement} element
   * @param {import('./storage.js').Autosave} autosave this tab's
   * @param {{open: (weights: Uint8Array, note: string) => void, error: (message: string) => void}} actions
   */
  constructor(element, autosave, actions) {
    this.element = element;
    this.list = element.querySelector('ul');
    this.summary = element.querySelector('summary');
    this.autosave = autosave;
    this.actions = actions;
    // Other tabs save while this one is open: the list is read again whenever it is opened.
    element.addEventListener('toggle', () => element.open && this.refresh());
  }

  async refresh() {
    let others;
    try {
      others = await this.autosave.others();
    } catch (e) {
      this.actions.error(`The autosaves of other tabs could not be read (${e.message}).`);
      return;
    }
    this.element.hidden = others.length === 0;
    this.summary.textContent = `Autosaves of other tabs (${others.length})`;
    this.list.replaceChildren(...others.map((slot) => this.item(slot)));
  }

  item(slot) {
    const li = document.createElement('li');
    const step = slot.step == null ? '' : `step ${slot.step.toLocaleString('en')}, `;
    const text = document.createElement('span');
    text.textContent = `${step}saved ${timeOf(slot.savedAt)}, ${slot.live ? 'its tab is open' : 'its tab is closed'} `;
    const open = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Open a copy' });
    open.addEventListener('click', async () => {
      const saved = await this.autosave.read(slot.id).catch(() => undefined);
      if (!saved) {
        this.actions.error('That autosave is gone: its tab discarded or replaced it.');
        this.refresh();
        return;
      }
      this.actions.open(saved.weights, `A copy of the model autosaved ${timeOf(saved.savedAt)} in another tab; training here never changes that tab's model.`);
    });
    li.append(text, open);
    if (!slot.live) {
      const discard = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Discard' });
      discard.addEventListener('click', async () => {
        if (!confirm('Discard the model autosaved by a closed tab? Open a copy and export it first to keep it.')) return;
        try {
          await this.autosave.discard(slot.id);
        } catch (e) {
          this.actions.error(`Could not discard that autosave (${e.message}).`);
        }
        this.refresh();
      });
      li.append(discard);
    }
    return li;
  }
}
