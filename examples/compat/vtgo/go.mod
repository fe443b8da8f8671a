// A separate module, outside the SDK's: vt-go cannot be fetched through the module proxy used
// here, so point the replace directive at a local checkout of github.com/VirusTotal/vt-go.
module github.com/ctifeed/ctifeed/examples/compat/vtgo

go 1.25

require github.com/VirusTotal/vt-go v0.0.0

require github.com/thedevsaddam/gojsonq/v2 v2.5.2 // indirect

replace github.com/VirusTotal/vt-go => ../../../../vt-go
