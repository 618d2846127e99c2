document.addEventListener('DOMContentLoaded', function () {
  var q = new URLSearchParams(location.search).get('q');
  var out = document.getElementById('results');
  if (q && out) { out.textContent = 'No notes match ' + q; }
});
