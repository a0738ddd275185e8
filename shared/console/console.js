(function(){
var basic="@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9 !\"#\u00a4%&'()*+,-./0123456789:;<=>?\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0";
var ext="\f^{}\\[~]|\u20ac";
function count(text){
  var cs=Array.from(text);if(!cs.length)return{enc:"GSM-7",units:0,parts:0};
  var gsm=cs.every(function(c){return basic.indexOf(c)>=0||ext.indexOf(c)>=0;});
  var single=gsm?160:70,multi=gsm?153:67,units=0,parts=1,fill=0;
  cs.forEach(function(c){var w=gsm?(ext.indexOf(c)>=0?2:1):(c.codePointAt(0)>0xffff?2:1);units+=w;if(fill+w>multi){parts++;fill=0;}fill+=w;});
  if(units<=single)parts=1;
  return{enc:gsm?"GSM-7":"UCS-2",units:units,parts:parts};
}
document.querySelectorAll("textarea[data-sms]").forEach(function(t){
  var out=document.getElementById(t.getAttribute("data-sms"));if(!out)return;
  var fmt=out.getAttribute("data-format");
  function show(){var s=count(t.value);out.textContent=fmt.replace("{parts}",s.parts).replace("{units}",s.units).replace("{enc}",s.enc);}
  t.addEventListener("input",show);show();
});
})();
