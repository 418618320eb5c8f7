// Sign-up: tell the site which time zone this browser runs in, so dates and
// emails are in the person's own time from the start (they can change it on
// their profile). Without JavaScript the site's default zone is used.
document.querySelectorAll("input[data-detect-timezone]").forEach((input) => {
  try {
    input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    input.value = "";
  }
});
