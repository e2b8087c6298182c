package frontdesk

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// The clinic's country: phone numbers are kept in E.164 once it is set,
// and shown as the country dials them.

// country asks for the clinic's country (false until one is set).
func (e env) country() (desk.Country, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, ok, err := e.d.ClinicCountry(ctx)
	return c, ok && err == nil
}

// localPhone shows a stored phone number as the clinic's country dials it.
func localPhone(phone string, c desk.Country) string { return desk.LocalPhone(phone, c) }

// countryChooser is the Working hours screen's choice of the clinic's
// country, with what it does.
func countryChooser(e env) fyne.CanvasObject {
	names := make([]string, len(desk.Countries))
	for i, c := range desk.Countries {
		names[i] = c.Name
	}
	msg := note("")
	msg.Importance = widget.LowImportance
	pick := kit.NewTypeSelect(names, nil)
	pick.PlaceHolder = "Not set: phones are kept as typed"
	if c, ok := e.country(); ok {
		pick.Selected = c.Name
	}
	pick.OnChanged = func(name string) {
		for _, c := range desk.Countries {
			if c.Name != name {
				continue
			}
			do(e, func(ctx context.Context) (struct{}, error) { return struct{}{}, e.d.SetClinicCountry(ctx, c.Code) },
				func(_ struct{}, err error) {
					if err != nil {
						msg.Importance = widget.DangerImportance
						msg.SetText(kit.ErrorText(err))
						return
					}
					msg.Importance = widget.SuccessImportance
					msg.SetText(fmt.Sprintf("Phone numbers are now kept as +%s… and shown as %s dials them.", c.Calling, c.Name))
				})
		}
	}
	return container.NewVBox(bold("Clinic's country"),
		container.NewHBox(kit.AtLeast(260, 0, pick)),
		note("Phone numbers registered from now on are kept in international form (E.164) and shown as the clinic's country writes them."),
		msg)
}
