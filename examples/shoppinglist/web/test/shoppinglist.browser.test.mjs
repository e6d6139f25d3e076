// Two users in two browser contexts share a list through the real server:
// sign-up, invite, every item change seen live by the other, presence, toasts,
// text never rendered as HTML, and catch-up after a server restart.
//
// Alice's page speaks JSON, Bob's MessagePack (?protocol=messagepack), so both
// hub protocols are driven by the official client in a real browser.
// UPDATE_SCREENSHOTS=1 also writes the screenshots to ../docs/.

import assert from "node:assert/strict";
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  jwtSecret,
  launchBrowser,
  newDataDir,
  recordToasts,
  rest,
  startServer,
  waitUntil,
  watchPage,
  webDir,
} from "./harness.mjs";

const TIMEOUT = 30_000;
const XSS = "<img src=x onerror=alert(1)>";

const exact = (s) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

describe("shopping list page, two users", { timeout: 300_000 }, () => {
  let data, secret, server, browser;
  const users = {};
  let listId;

  const itemName = (page, name) => page.getByTestId("item-name").filter({ hasText: exact(name) });
  const itemRow = (page, name) => page.getByTestId("item").filter({ has: itemName(page, name) });
  const state = (page) => page.getByTestId("connection-status").getAttribute("data-state");

  async function signUp(who, displayName, query = "") {
    const context = await browser.newContext({ viewport: { width: 960, height: 640 } });
    context.setDefaultTimeout(TIMEOUT);
    await recordToasts(context);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto(`${server.url}/signin${query}`);
    await page.getByTestId("auth-mode").click();
    await page.getByTestId("auth-display-name").fill(displayName);
    const email = `${who}@example.com`; // each run has a database of its own
    await page.getByTestId("auth-email").fill(email);
    await page.getByTestId("auth-password").fill("correct horse battery");
    await page.getByTestId("auth-submit").click();
    await page.waitForURL(/\/lists$/);
    const session = await page.evaluate(() => ({
      token: localStorage.getItem("shoppinglist.token"),
      user: JSON.parse(localStorage.getItem("shoppinglist.user")),
    }));
    users[who] = { context, page, seen, email, displayName, token: session.token, id: session.user.id };
    return users[who];
  }

  async function waitConnected(page) {
    await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 60_000 });
  }

  // expectToast waits for a toast containing text to have appeared.
  async function expectToast(page, text) {
    await page.waitForFunction((t) => window.__toasts.some((x) => x.includes(t)), text, { timeout: TIMEOUT });
  }

  before(async () => {
    data = await newDataDir();
    secret = jwtSecret();
    server = await startServer({ db: data.db, secret });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await data?.remove();
  });

  it("signs both users up and opens a shared list", async () => {
    const alice = await signUp("alice", "Alice Archer");
    const bob = await signUp("bob", "Bob Baker", "?protocol=messagepack");

    await alice.page.getByTestId("new-list-name").fill("Weekend groceries");
    await alice.page.getByTestId("new-list-submit").click();
    const link = alice.page.getByTestId("list-link").filter({ hasText: exact("Weekend groceries") });
    await link.click();
    await alice.page.waitForURL(/\/lists\/[^/]+$/);
    listId = decodeURIComponent(new URL(alice.page.url()).pathname.split("/").pop());

    await alice.page.getByTestId("invite-email").fill(bob.email);
    await alice.page.getByTestId("invite-permission").selectOption("Editor");
    await alice.page.getByTestId("invite-submit").click();
    await alice.page.getByTestId("collaborator").filter({ hasText: "Bob Baker" }).waitFor();

    // Bob's list page refreshes by itself: the shared list appears without a reload.
    await bob.page.getByTestId("list-link").filter({ hasText: exact("Weekend groceries") }).click();
    await bob.page.waitForURL(`**/lists/${listId}`);
    await waitConnected(alice.page);
    await waitConnected(bob.page);
    // The protocol chosen on the sign-in URL stays for the tab's session.
    assert.equal(await alice.page.getByTestId("connection-status").getAttribute("data-protocol"), "json");
    assert.equal(await bob.page.getByTestId("connection-status").getAttribute("data-protocol"), "messagepack");
  });

  it("shows both users as present on both pages", async () => {
    for (const viewer of [users.alice, users.bob]) {
      for (const present of [users.alice, users.bob]) {
        await viewer.page.locator(`[data-testid="presence-user"][data-user-id="${present.id}"]`).waitFor();
      }
      assert.equal(await viewer.page.getByTestId("presence-user").count(), 2);
    }
  });

  it("shows each item change to the other user live, with toasts", async () => {
    const { alice, bob } = users;

    // Alice adds; Bob sees it and a toast.
    await alice.page.getByTestId("new-item-name").fill("Milk");
    await alice.page.getByTestId("new-item-submit").click();
    await itemName(bob.page, "Milk").waitFor();
    await expectToast(bob.page, "Alice Archer added “Milk”");

    // Bob adds; Alice sees it.
    await bob.page.getByTestId("new-item-name").fill("Bread");
    await bob.page.getByTestId("new-item-submit").click();
    await itemName(alice.page, "Bread").waitFor();
    await expectToast(alice.page, "Bob Baker added “Bread”");

    // Alice edits; Bob sees the new name.
    await itemRow(alice.page, "Milk").getByTestId("item-edit").click();
    await alice.page.getByTestId("item-edit-name").fill("Oat milk");
    await alice.page.getByTestId("item-edit-name").press("Enter");
    await itemName(bob.page, "Oat milk").waitFor();
    assert.equal(await itemName(bob.page, "Milk").count(), 0);
    await expectToast(bob.page, "renamed “Milk” to “Oat milk”");

    // Bob purchases; Alice sees it purchased.
    await itemRow(bob.page, "Oat milk").getByTestId("item-purchase").click();
    await alice.page
      .locator('[data-testid="item"][data-purchased="true"]')
      .filter({ has: itemName(alice.page, "Oat milk") })
      .waitFor();
    await expectToast(alice.page, "Bob Baker bought “Oat milk”");

    // Alice adds a third item so the screenshots show a real list.
    await alice.page.getByTestId("new-item-name").fill("Apples");
    await alice.page.getByTestId("new-item-submit").click();
    await itemName(bob.page, "Apples").waitFor();
    // Both pages agree on the items and their state.
    for (const u of [alice, bob]) {
      await u.page.locator('[data-testid="item"]').nth(2).waitFor();
      assert.equal(await u.page.getByTestId("item").count(), 3);
      assert.equal(await itemRow(u.page, "Oat milk").getAttribute("data-purchased"), "true");
      assert.equal(await itemRow(u.page, "Bread").getAttribute("data-purchased"), "false");
    }
    // Toasts are for other people's changes only.
    for (const u of [alice, bob]) {
      const own = await u.page.evaluate((name) => window.__toasts.filter((t) => t.includes(name)), u.displayName);
      assert.deepEqual(own, [], `${u.displayName} got toasts about their own changes`);
    }
  });

  it("saves screenshots of both pages after the shared edit", async () => {
    const out = path.join(webDir, "test-results");
    await mkdir(out, { recursive: true });
    for (const who of ["alice", "bob"]) {
      const page = users[who].page;
      const file = path.join(out, `shoppinglist-${who}.png`);
      await page.screenshot({ path: file });
      if (process.env.UPDATE_SCREENSHOTS === "1") {
        await copyFile(file, path.join(webDir, "../docs", `shoppinglist-${who}.png`));
      }
    }
  });

  it("deletes an item on the other page too", async () => {
    const { alice, bob } = users;
    await itemRow(alice.page, "Bread").getByTestId("item-delete").click();
    await itemName(bob.page, "Bread").waitFor({ state: "detached" });
    await expectToast(bob.page, "Alice Archer removed “Bread”");
    assert.equal(await bob.page.getByTestId("item").count(), 2);
  });

  it("renders an item named like HTML as text", async () => {
    const { alice, bob } = users;
    await alice.page.getByTestId("new-item-name").fill(XSS);
    await alice.page.getByTestId("new-item-submit").click();
    for (const u of [alice, bob]) {
      await itemName(u.page, XSS).waitFor();
      assert.equal(await itemName(u.page, XSS).textContent(), XSS);
      assert.equal(await u.page.locator('[data-testid="item"] img').count(), 0);
    }
    await expectToast(bob.page, `added “${XSS}”`);
    for (const u of [alice, bob]) {
      assert.deepEqual(u.seen.dialogs, [], "no dialog may open");
      assert.deepEqual(u.seen.errors, [], "no page error");
    }
  });

  it("shows the user's own changes at once and rolls back what the server refuses", async () => {
    const { alice, bob } = users;
    // Hold Alice's requests until the test has looked at her page: her change
    // must show before the server answered.
    let release;
    const released = new Promise((r) => (release = r));
    let refuse = false;
    await alice.page.route("**/api/lists/*/items**", async (route) => {
      const req = route.request();
      if (req.method() === "GET") return route.continue();
      await released;
      // The refused case sends the server an invalid name, so the real
      // server answers 400.
      if (refuse && req.method() === "PATCH") return route.continue({ postData: JSON.stringify({ name: "   " }) });
      return route.continue();
    });
    try {
      await alice.page.getByTestId("new-item-name").fill("Cheese");
      await alice.page.getByTestId("new-item-submit").click();
      await itemName(alice.page, "Cheese").waitFor();
      assert.equal(await itemName(bob.page, "Cheese").count(), 0, "not on the server yet");
      release();
      await itemName(bob.page, "Cheese").waitFor();
      // The placeholder became the real item: one Cheese, with a real id.
      assert.equal(await itemName(alice.page, "Cheese").count(), 1);
      await alice.page.waitForFunction(
        () => ![...document.querySelectorAll('[data-testid="item"]')].some((e) => e.dataset.itemId.startsWith("tmp-")),
      );

      refuse = true;
      await itemRow(alice.page, "Oat milk").getByTestId("item-edit").click();
      await alice.page.getByTestId("item-edit-name").fill("Soy milk");
      await alice.page.getByTestId("item-edit-name").press("Enter");
      await alice.page.getByTestId("notice").filter({ hasText: "was not saved" }).waitFor();
      await itemName(alice.page, "Oat milk").waitFor();
      assert.equal(await itemName(alice.page, "Soy milk").count(), 0, "rolled back");
      assert.equal(await itemName(bob.page, "Soy milk").count(), 0);
    } finally {
      release();
      await alice.page.unroute("**/api/lists/*/items**");
    }
  });

  it("shows the other person's version when an edit conflicts (409)", async () => {
    const { alice, bob } = users;
    // Alice starts editing Apples; Bob renames it first.
    await itemRow(alice.page, "Apples").getByTestId("item-edit").click();
    await itemRow(bob.page, "Apples").getByTestId("item-edit").click();
    await bob.page.getByTestId("item-edit-name").fill("Green apples");
    await bob.page.getByTestId("item-edit-name").press("Enter");
    await expectToast(alice.page, "renamed “Apples” to “Green apples”");

    await alice.page.getByTestId("item-edit-name").fill("Red apples");
    await alice.page.getByTestId("item-edit-name").press("Enter");
    await alice.page.getByTestId("notice").filter({ hasText: "“Green apples”" }).waitFor();
    await itemName(alice.page, "Green apples").waitFor();
    for (const u of [alice, bob]) assert.equal(await itemName(u.page, "Red apples").count(), 0);
  });

  it("sends the presence heartbeat (UpdatePresence) every 30 s", async () => {
    const { alice } = users;
    assert.ok(alice.seen.invoked.includes("JoinList"), `invoked: ${alice.seen.invoked}`);
    // The first heartbeat is due 30 s after the join; the tests so far took some of that.
    await waitUntil(() => alice.seen.invoked.includes("UpdatePresence"), 45_000, "UpdatePresence");
  });

  it("reconnects both pages after a server restart and catches up", async () => {
    const { alice, bob } = users;
    const port = server.port;
    await server.stop();
    for (const u of [alice, bob]) {
      await u.page.locator('[data-testid="connection-status"]:not([data-state="connected"])').waitFor();
    }

    // A change while both pages are disconnected, made through another run
    // of the server on the same database (on another port, so the pages
    // cannot reconnect before it is made).
    const side = await startServer({ db: data.db, secret });
    const added = await rest(side.url, "POST", `/api/lists/${listId}/items`, {
      token: alice.token,
      body: { name: "Eggs", quantity: 12 },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    await side.stop();

    server = await startServer({ db: data.db, secret, addr: `127.0.0.1:${port}` });
    for (const u of [alice, bob]) {
      await waitConnected(u.page);
      await itemName(u.page, "Eggs").waitFor();
    }
    await expectToast(bob.page, "Alice Archer added “Eggs”");
    assert.equal(await state(alice.page), "connected");
    // Caught up from JoinList's missed events, not by loading the list again.
    for (const u of [alice, bob]) {
      assert.equal(await u.page.getByTestId("list-view").getAttribute("data-loads"), "1");
    }

    // Live events flow again after the reconnect.
    await bob.page.getByTestId("new-item-name").fill("Butter");
    await bob.page.getByTestId("new-item-submit").click();
    await itemName(alice.page, "Butter").waitFor();
    for (const u of [alice, bob]) {
      assert.equal(await u.page.getByTestId("item").count(), 6);
      await u.page.locator(`[data-testid="presence-user"][data-user-id="${alice.id}"]`).waitFor();
      await u.page.locator(`[data-testid="presence-user"][data-user-id="${bob.id}"]`).waitFor();
    }
  });

  it("goes offline after the reconnect schedule, reconnects with the button and reloads what it can no longer catch up", { timeout: 240_000 }, async () => {
    const { alice, bob } = users;
    const port = server.port;
    await server.stop();
    // 1 + 2 + 5 + 10 + 30 s of retries, then offline with a reconnect button.
    for (const u of [alice, bob]) {
      await u.page.locator('[data-testid="connection-status"][data-state="offline"]').waitFor({ timeout: 120_000 });
      await u.page.getByTestId("reconnect").waitFor();
    }
    // While both pages are offline, more list events than the server keeps
    // for catch-up (1,000, the example server's store.KeepEvents): the pages
    // must see reloadRequired and reload the list over REST.
    const side = await startServer({ db: data.db, secret });
    const added = await rest(side.url, "POST", `/api/lists/${listId}/items`, { token: bob.token, body: { name: "Tea" } });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    for (let i = 1; i <= 1005; i++) {
      const name = i === 1005 ? "Green tea" : `Tea ${i}`;
      const r = await rest(side.url, "PATCH", `/api/lists/${listId}/items/${added.body.id}`, { token: bob.token, body: { name } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    await side.stop();

    server = await startServer({ db: data.db, secret, addr: `127.0.0.1:${port}` });
    for (const u of [alice, bob]) {
      const loadsBefore = Number(await u.page.getByTestId("list-view").getAttribute("data-loads"));
      assert.equal(await state(u.page), "offline", "stays offline until asked");
      await u.page.getByTestId("reconnect").click();
      await waitConnected(u.page);
      await itemName(u.page, "Green tea").waitFor();
      assert.equal(await itemName(u.page, "Tea").count(), 0);
      assert.equal(Number(await u.page.getByTestId("list-view").getAttribute("data-loads")), loadsBefore + 1, "reloaded once");
    }

    // And live again.
    await bob.page.getByTestId("new-item-name").fill("Honey");
    await bob.page.getByTestId("new-item-submit").click();
    await itemName(alice.page, "Honey").waitFor();
    await expectToast(alice.page, "Bob Baker added “Honey”");
  });

  it("reorders items for both users", async () => {
    const { alice, bob } = users;
    const names = (page) => page.getByTestId("item-name").allTextContents();
    const before = await names(bob.page);
    const expected = [before[1], before[0], ...before.slice(2)];
    await bob.page.getByRole("button", { name: `Move ${before[0]} down`, exact: true }).click();
    for (const u of [bob, alice]) {
      await u.page.waitForFunction(
        (want) => JSON.stringify([...document.querySelectorAll('[data-testid="item-name"]')].map((e) => e.textContent)) === want,
        JSON.stringify(expected),
      );
    }
  });

  it("applies a permission change and a removal to the member's page live", async () => {
    const { alice, bob } = users;
    await alice.page.getByRole("combobox", { name: "Permission of Bob Baker" }).selectOption("Viewer");
    // A viewer gets no controls that the server would refuse.
    await bob.page.getByTestId("new-item-name").waitFor({ state: "detached" });
    assert.equal(await bob.page.getByTestId("item-delete").count(), 0);
    await bob.page.getByText("you are a viewer").waitFor();

    await alice.page.getByRole("button", { name: "Remove Bob Baker", exact: true }).click();
    await bob.page.getByTestId("list-view").waitFor({ state: "detached" });
    await bob.page.getByRole("alert").filter({ hasText: /removed from this list|access/ }).waitFor();
    await alice.page.getByTestId("collaborator").filter({ hasText: "Bob Baker" }).waitFor({ state: "detached" });
    // Bob's list page no longer offers the list.
    await bob.page.getByRole("link", { name: "Back to your lists" }).click();
    await bob.page.waitForURL(/\/lists$/);
    await bob.page.getByText("No lists yet").waitFor();
  });

  it("signs out and back in", async () => {
    const { bob } = users;
    await bob.page.getByRole("button", { name: "Sign out" }).click();
    await bob.page.waitForURL(/\/signin$/);
    await bob.page.getByTestId("auth-email").fill(bob.email);
    await bob.page.getByTestId("auth-password").fill("wrong password");
    await bob.page.getByTestId("auth-submit").click();
    await bob.page.getByTestId("auth-error").waitFor();
    await bob.page.getByTestId("auth-password").fill("correct horse battery");
    await bob.page.getByTestId("auth-submit").click();
    await bob.page.waitForURL(/\/lists$/);
    await bob.page.getByTestId("current-user").filter({ hasText: "Bob Baker" }).waitFor();
  });

  it("works over Server-Sent Events and long polling too, and follows a rename and a deletion", async () => {
    const { alice } = users;
    const others = [];
    for (const query of ["?transport=sse", "?transport=longpolling&protocol=messagepack"]) {
      const context = await browser.newContext({ viewport: { width: 960, height: 640 } });
      context.setDefaultTimeout(TIMEOUT);
      const page = await context.newPage();
      const seen = watchPage(page);
      // Opening the list's URL directly asks to sign in first, then returns.
      await page.goto(`${server.url}/lists/${listId}${query}`);
      await page.waitForURL(/\/signin\?next=/);
      await page.getByTestId("auth-email").fill(alice.email);
      await page.getByTestId("auth-password").fill("correct horse battery");
      await page.getByTestId("auth-submit").click();
      await page.waitForURL(`**/lists/${listId}`);
      await waitConnected(page);
      others.push({ context, page, seen });
    }

    await alice.page.getByTestId("new-item-name").fill("Jam");
    await alice.page.getByTestId("new-item-submit").click();
    for (const o of others) await itemName(o.page, "Jam").waitFor();

    await alice.page.getByTestId("list-rename").click();
    await alice.page.getByTestId("list-rename-name").fill("Sunday groceries");
    await alice.page.getByTestId("list-rename-name").press("Enter");
    for (const o of others) await o.page.getByTestId("list-name").filter({ hasText: exact("Sunday groceries") }).waitFor();

    await alice.page.getByTestId("list-delete").click();
    await alice.page.getByTestId("list-delete-confirm").click();
    await alice.page.waitForURL(/\/lists$/);
    assert.equal(await alice.page.getByTestId("list-link").count(), 0);
    for (const o of others) {
      await o.page.getByRole("alert").filter({ hasText: /deleted|access/ }).waitFor();
      assert.deepEqual(o.seen.dialogs, []);
      assert.deepEqual(o.seen.errors, []);
      await o.context.close();
    }
  });
});
