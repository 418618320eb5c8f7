// Opening an unread item marks it read, as its "Mark as read" button does:
// the button's own form is posted (with its CSRF token) while the browser
// follows the link. Without JavaScript the button is still there.
(function () {
  "use strict";

  function markRead(event) {
    if (event.type === "auxclick" && event.button !== 1) {
      return; // only the middle button opens a link
    }
    var link = event.target.closest(".notifications-item.is-unread .notifications-item-link");
    if (!link) {
      return;
    }
    var item = link.closest(".notifications-item");
    var form = item.querySelector("form.notifications-item-mark");
    if (!form) {
      return;
    }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      keepalive: true, // finishes even though the page is being left
      redirect: "manual",
    });
    item.classList.remove("is-unread");
  }

  document.addEventListener("click", markRead);
  document.addEventListener("auxclick", markRead);
})();
