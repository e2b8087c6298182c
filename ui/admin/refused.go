package admin

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/ui/kit"
)

// RefusedDesk is what the audit screen's refused list needs.
type RefusedDesk interface {
	Refused(ctx context.Context, offset, limit int) ([]replica.Refusal, int, error)
}

// PartRefused names the audit screen's refused list (ShowPart): the sync
// status's count of refused events opens it.
const PartRefused = "refused"

// refusedList is the audit screen's "Refused" tab: what other
// workstations' software signed that this workstation refused, newest
// first, a page at a time; when, who, which workstation, which kind of
// record and the rule in plain words, never what it wrote (it may be
// sealed, and an administrator does not read clinical data).
type refusedList struct {
	loads         kit.Newest
	d             RefusedDesk
	offset, total int
	rows          []replica.Refusal
	status        *widget.Label
	newer, older  *widget.Button
	list          *widget.List
	onTotal       func(int) // the tab's title shows the count
}

func newRefusedList(d RefusedDesk, onTotal func(int)) (*refusedList, fyne.CanvasObject) {
	l := &refusedList{d: d, onTotal: onTotal}
	intro := newNote("Changes that other workstations' software signed and this workstation refused: they changed nothing here. " +
		"Each line says when it was signed, by whom, on which workstation, the kind of record and the rule that refused it. " +
		"What they wrote is not shown. Many from one person may mean modified software or a wrong clock on their workstation: speak to them.")
	intro.Importance = widget.LowImportance
	l.status = widget.NewLabel("Loading…")
	l.newer = widget.NewButtonWithIcon("Newer", theme.NavigateBackIcon(), func() { l.page(l.offset - appadmin.RefusedPage) })
	l.older = widget.NewButtonWithIcon("Older", theme.NavigateNextIcon(), func() { l.page(l.offset + appadmin.RefusedPage) })
	l.older.IconPlacement = widget.ButtonIconTrailingText
	l.newer.Disable()
	l.older.Disable()
	l.list = widget.NewList(func() int { return len(l.rows) }, l.newRow, l.updateRow)
	header := container.NewBorder(nil, nil, container.NewHBox(
		kit.AtLeast(140, 0, bold("When")), kit.AtLeast(170, 0, bold("Who")), kit.AtLeast(110, 0, bold("Workstation")),
		kit.AtLeast(150, 0, bold("Record"))), nil, bold("Why it was refused"))
	top := container.NewVBox(intro, container.NewBorder(nil, nil, nil, container.NewHBox(l.newer, l.older), l.status), header)
	return l, container.NewBorder(top, nil, nil, nil, kit.AtLeast(0, 380, l.list))
}

// refresh loads the page on show again.
func (l *refusedList) refresh() { l.page(l.offset) }

// page loads the refused events from offset on.
func (l *refusedList) page(offset int) {
	offset = max(offset, 0)
	type page struct {
		rows  []replica.Refusal
		total int
	}
	load(&l.loads, func(ctx context.Context) (page, error) {
		rows, total, err := l.d.Refused(ctx, offset, appadmin.RefusedPage)
		return page{rows, total}, err
	}, func(p page, err error) {
		if err != nil {
			l.status.SetText("The refused events cannot be read: " + kit.ErrorText(err))
			l.status.Importance = widget.DangerImportance
			l.status.Refresh()
			return
		}
		rows := p.rows
		l.status.Importance = widget.MediumImportance
		l.offset, l.rows, l.total = offset, rows, p.total
		switch {
		case l.total == 0:
			l.status.SetText("Nothing was refused: every change other workstations signed was applied here.")
			l.status.Importance = widget.SuccessImportance
		case len(rows) == 0:
			l.status.SetText(fmt.Sprintf("%d refused; none on this page", l.total))
		default:
			l.status.SetText(fmt.Sprintf("%d refused, newest first: %d–%d", l.total, offset+1, offset+len(rows)))
		}
		l.status.Refresh()
		setEnabled(l.newer, offset > 0)
		setEnabled(l.older, offset+len(rows) < l.total)
		l.list.Refresh()
		if l.onTotal != nil {
			l.onTotal(l.total)
		}
	})
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func (l *refusedList) newRow() fyne.CanvasObject {
	at := widget.NewLabel("2 Jan 2006 15:04")
	who := widget.NewLabel("Dr Somebody")
	who.Truncation = fyne.TextTruncateEllipsis
	device := widget.NewLabelWithStyle("0000 0000", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	kind := widget.NewLabel("prescription")
	kind.Truncation = fyne.TextTruncateEllipsis
	why := widget.NewLabel("")
	why.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(nil, nil,
		container.NewHBox(kit.AtLeast(140, 0, at), kit.AtLeast(170, 0, who), kit.AtLeast(110, 0, device), kit.AtLeast(150, 0, kind)),
		nil, why)
}

func (l *refusedList) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(l.rows) {
		return
	}
	r := l.rows[i]
	c := o.(*fyne.Container)
	left := c.Objects[1].(*fyne.Container)
	cell := func(n int) *widget.Label { return left.Objects[n].(*fyne.Container).Objects[0].(*widget.Label) }
	cell(0).SetText(when(r.Time))
	name := r.Name
	if name == "" {
		name = appadmin.ShortFingerprint(r.Author)
	}
	cell(1).SetText(name)
	cell(2).SetText(shortDevice(r.Device))
	cell(3).SetText(app.KindWords(r.Kind))
	c.Objects[0].(*widget.Label).SetText(r.Why)
}
