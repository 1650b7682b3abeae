using System.Text;

namespace Dpr.Fabric.Ports;

/// <summary>
/// A node of a flattened device tree (<see cref="FlattenedDeviceTree"/>): its name (empty for the
/// root), its properties in order (raw values, as the blob stores them) and its children.
/// </summary>
public sealed record DeviceTreeNode(string Name, IReadOnlyList<KeyValuePair<string, byte[]>> Properties, IReadOnlyList<DeviceTreeNode> Children)
{
    public DeviceTreeNode(string name)
        : this(name, [], [])
    {
    }

    /// <summary>A copy with a string property (NUL-terminated, as dtc writes <c>prop = "text";</c>).</summary>
    public DeviceTreeNode With(string property, string value) =>
        this with { Properties = [.. Properties, new(property, [.. Encoding.ASCII.GetBytes(value), 0])] };

    /// <summary>A copy with an empty (boolean) property, as dtc writes <c>prop;</c>.</summary>
    public DeviceTreeNode With(string property) =>
        this with { Properties = [.. Properties, new(property, [])] };

    public DeviceTreeNode With(DeviceTreeNode child) => this with { Children = [.. Children, child] };

    public bool Has(string property) => Properties.Any(p => p.Key == property);

    /// <summary>A string property's text (without its NUL); null when absent or not a string.</summary>
    public string? Text(string property) =>
        Properties.FirstOrDefault(p => p.Key == property).Value is [.. var text, 0] && !text.Contains((byte)0)
            ? Encoding.ASCII.GetString(text)
            : null;

    public DeviceTreeNode? Child(string name) => Children.FirstOrDefault(c => c.Name == name);
}
