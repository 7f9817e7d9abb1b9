// print.js adds a "Print" button to pages marked printable. Without
// JavaScript, the page says to use the browser's print command instead.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (el) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = "Print this receipt";
    b.className = "secondary";
    b.addEventListener("click", function () { window.print(); });
    el.appendChild(b);
  });
});
