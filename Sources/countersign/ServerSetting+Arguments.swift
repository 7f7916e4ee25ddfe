import ArgumentParser
import CountersignServer

extension ServerSetting {
    /// The flag's name as the argument parser takes it (README, "Configuration").
    var argumentName: NameSpecification { .customLong(flag) }
    /// The flag's help as the argument parser takes it, from the settings table.
    var argumentHelp: ArgumentHelp { ArgumentHelp(help) }
}
