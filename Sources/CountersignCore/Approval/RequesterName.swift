import Foundation

/// The form in which two names are compared to decide whether an approver could be the
/// requester (docs/APPROVALS.md, "Who is who"): a "skeleton" in the spirit of Unicode TS #39 §4.
/// It folds what a person reading an inbox cannot tell apart, so `аlice` (Cyrillic а),
/// `ＡＬＩＣＥ` (fullwidth), `al\u{200B}ice` (a zero-width space) and ` Alice ` are all `alice`.
///
/// Used only to refuse (`PersonIdentity.couldBe`): a skeleton match makes a vote the requester's
/// own, never makes anyone eligible (`PersonIdentity.isExactly` and group membership compare
/// bytes), so a wider fold can only refuse more votes, never fewer.
public enum RequesterName {
    /// NFKC, lower case, no default-ignorable code points (zero-width and joiner characters,
    /// variation selectors, soft hyphens), Latin look-alikes from Cyrillic and Greek replaced by
    /// their Latin letter, surrounding white space removed.
    public static func skeleton(_ name: String) -> String {
        let normalized = name.precomposedStringWithCompatibilityMapping.lowercased()
        var out = String.UnicodeScalarView()
        for scalar in normalized.unicodeScalars where !scalar.properties.isDefaultIgnorableCodePoint {
            out.append(lookAlikes[scalar] ?? scalar)
        }
        return String(out).trimmingWhitespace()
    }

    /// Lower-case Cyrillic and Greek letters that render like a Latin letter in common fonts
    /// (the subset of Unicode's confusables.txt for these scripts that maps to one ASCII letter).
    static let lookAlikes: [Unicode.Scalar: Unicode.Scalar] = [
        // Cyrillic
        "\u{0430}": "a", "\u{0432}": "b", "\u{0435}": "e", "\u{0451}": "e", "\u{0456}": "i", "\u{0457}": "i",
        "\u{0458}": "j", "\u{043A}": "k", "\u{043C}": "m", "\u{043D}": "h", "\u{043E}": "o", "\u{0440}": "p",
        "\u{0441}": "c", "\u{0442}": "t", "\u{0443}": "y", "\u{0445}": "x", "\u{0455}": "s", "\u{0501}": "d",
        "\u{051B}": "q", "\u{051D}": "w", "\u{04BB}": "h", "\u{0491}": "r", "\u{04CF}": "l",
        // Greek
        "\u{03B1}": "a", "\u{03B2}": "b", "\u{03B5}": "e", "\u{03B7}": "n", "\u{03B9}": "i", "\u{03BA}": "k",
        "\u{03BD}": "v", "\u{03BF}": "o", "\u{03C1}": "p", "\u{03C4}": "t", "\u{03C5}": "u", "\u{03C7}": "x",
        "\u{03B6}": "z", "\u{03BC}": "u",
        // Latin letters that pass for others
        "\u{0131}": "i", "\u{0269}": "i", "\u{0261}": "g", "\u{1D0F}": "o", "\u{0251}": "a",
    ]
}
