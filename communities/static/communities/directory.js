// The directory's street list follows the district chosen, live. Without this script the
// page still narrows it: the form's street choices are the chosen district's once submitted.
(function () {
  "use strict";
  var data = document.getElementById("street-choices");
  if (!data) return;
  var groups = JSON.parse(data.textContent);
  var streets = document.querySelectorAll("select[data-narrowed-by]");
  Array.prototype.forEach.call(streets, function (street) {
    var district = document.getElementById(street.getAttribute("data-narrowed-by"));
    if (!district) return;
    var any = street.options.length ? street.options[0].cloneNode(true) : null;
    var districtNames = {};
    Array.prototype.forEach.call(district.options, function (option) {
      districtNames[option.value] = option.textContent;
    });

    function option(value, name, selected) {
      var item = document.createElement("option");
      item.value = value;
      item.textContent = name;
      if (selected) item.selected = true;
      return item;
    }

    function narrow() {
      var kept = street.value;
      while (street.firstChild) street.removeChild(street.firstChild);
      if (any) street.appendChild(any.cloneNode(true));
      var chosen = district.value;
      var keys = chosen ? [chosen] : Object.keys(groups);
      keys.forEach(function (key) {
        var group = groups[key] || [];
        if (!group.length) return;
        var parent = street;
        if (!chosen) {
          parent = document.createElement("optgroup");
          parent.label = districtNames[key] || "";
          street.appendChild(parent);
        }
        group.forEach(function (pair) {
          parent.appendChild(option(String(pair[0]), pair[1], String(pair[0]) === kept));
        });
      });
      if (street.value !== kept) street.value = "";
    }

    district.addEventListener("change", narrow);
  });
})();
