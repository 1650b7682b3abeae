namespace Dpr.Fabric.Ports;

/// <summary>
/// File access of <see cref="LinuxFpgaManagerPort"/>, behind an interface because sysfs attributes
/// react to writes (a write to <c>firmware</c> blocks while the device is programmed) and plain
/// files in a test cannot. Failures surface as the exceptions .NET raises for real files:
/// <see cref="FileNotFoundException"/>/<see cref="DirectoryNotFoundException"/> for a missing node,
/// <see cref="UnauthorizedAccessException"/> for a permission denied, <see cref="IOException"/> for a
/// write the kernel answered with an error.
/// </summary>
internal interface ISysfsAccess
{
    bool Exists(string path);

    string ReadText(string path);

    /// <summary>Writes to an existing attribute; never creates it.</summary>
    void WriteText(string path, string text);

    /// <summary>Creates or replaces a regular file.</summary>
    void WriteFile(string path, ReadOnlySpan<byte> bytes);
}
