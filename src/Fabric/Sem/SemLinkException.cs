namespace Dpr.Fabric.Sem;

/// <summary>The line to the SEM controller cannot be opened, read or written (device missing, no permission, transmitter stuck).</summary>
public sealed class SemLinkException(string link, string problem, Exception? inner = null)
    : Exception($"SEM monitor link {link}: {problem}", inner)
{
    public string Link { get; } = link;
}
