// Copy buttons: data-copy names the input whose value is copied.
document.addEventListener("click", function (e) {
  var id = e.target && e.target.getAttribute && e.target.getAttribute("data-copy");
  if (!id) { return; }
  var input = document.getElementById(id);
  input.select();
  if (navigator.clipboard) {
    navigator.clipboard.writeText(input.value).then(function () {
      e.target.textContent = "Copied";
    });
  }
});
