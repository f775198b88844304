package premailer

// Options for controlling behaviour
type Options struct {
	// Remove class attribute from element
	// Default false
	RemoveClasses bool
	// Copy related CSS properties into HTML attributes (e.g. background-color to bgcolor)
	// Default true
	CssToAttributes bool

	// If true, then style declarations that have "!important" will keep the "!important" in the final
	// style attribute
	// Example:
	//		<style>p { width: 100% !important }</style><p>Text</p>
	// gives
	//		<p style="width: 100% !important">Text</p>
	KeepBangImportant bool
}

type PremailerOption func(*Options)

func WithRemoveClasses(remove bool) PremailerOption {
	return func(o *Options) {
		o.RemoveClasses = remove
	}
}

func WithCssToAttributes(cssToAttr bool) PremailerOption {
	return func(o *Options) {
		o.CssToAttributes = cssToAttr
	}
}

func WithKeepBangImportant(keep bool) PremailerOption {
	return func(o *Options) {
		o.KeepBangImportant = keep
	}
}

// NewOptions return an Options instance with default value
func NewOptions(o ...PremailerOption) *Options {
	options := &Options{
		CssToAttributes: true,
	}

	for _, opt := range o {
		opt(options)
	}
	return options
}
