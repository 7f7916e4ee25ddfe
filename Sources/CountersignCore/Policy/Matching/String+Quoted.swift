extension String {
    /// The text quoted with escapes and cut at 64 characters, for error messages: control
    /// characters in a hostile policy cannot forge log lines, and the message needs only enough
    /// to find the mistake. `prefix`, so a megabyte of input is not walked to measure it.
    var quotedForMessage: String {
        let head = prefix(64)
        return String(reflecting: head.endIndex < endIndex ? String(head) + "…" : self)
    }
}
