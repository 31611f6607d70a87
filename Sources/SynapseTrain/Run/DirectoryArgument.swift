/// A directory the user names on the command line (`--run-dir`, a run directory to plot).
///
/// An empty one is refused: as a path, "" means the current directory, so `--run-dir ''`
/// (an unset shell variable, `--run-dir "$RUN"`) would train into wherever the command ran.
enum DirectoryArgument {
    /// Throws `UserError` when `path` is empty or only spaces; `name` says which argument.
    static func requireNonEmpty(_ path: String, named name: String) throws {
        guard path.allSatisfy(\.isWhitespace) else { return }
        throw UserError("\(name) is empty; give a directory (e.g. \(name) runs/my-run)"
                        + (name == "--run-dir" ? ", or leave --run-dir out for runs/<name from the config>" : "")
                        + ". An empty path would mean the current directory")
    }
}
