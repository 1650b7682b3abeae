namespace Dpr.Fabric.Ports;

/// <summary>
/// File access of <see cref="LinuxOverlayPort"/>, behind an interface because configfs reacts to
/// directory operations (a <c>mkdir</c> under <c>overlays/</c> makes an overlay item with its
/// attributes, writing its <c>dtbo</c> applies it, <c>rmdir</c> removes it) and plain files in a test
/// cannot. Failures surface as .NET raises them for real files: <see cref="DirectoryNotFoundException"/>
/// or <see cref="FileNotFoundException"/> for a missing node, <see cref="UnauthorizedAccessException"/>
/// for a permission denied, <see cref="IOException"/> for an operation the kernel answered with an error.
/// </summary>
internal interface IConfigfsAccess
{
    bool DirectoryExists(string path);

    /// <summary>The names (not paths) of the directories in <paramref name="path"/>.</summary>
    IReadOnlyList<string> Directories(string path);

    void CreateDirectory(string path);

    void RemoveDirectory(string path);

    string ReadText(string path);

    byte[] ReadBytes(string path);

    /// <summary>Writes to an existing attribute in one <c>write</c>; never creates it.</summary>
    void WriteAttribute(string path, ReadOnlySpan<byte> bytes);

    /// <summary>Creates or replaces a regular file (the image in the firmware directory).</summary>
    void WriteFile(string path, ReadOnlySpan<byte> bytes);
}
