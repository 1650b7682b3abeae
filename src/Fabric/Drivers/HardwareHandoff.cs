using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Dpr.Fabric.Drivers;

/// <summary>
/// A Vivado hardware handoff (<c>.hwh</c>): the system it describes, its IP instances with their
/// parameters, and the address ranges masters see them at. PYNQ reads the same file to find an
/// IP's base address; dpr reads it to bind a driver after every swap.
/// </summary>
public sealed class HardwareHandoff
{
    private HardwareHandoff(string name, string device, string package, IReadOnlyList<IpInstance> instances, IReadOnlyList<AddressRange> ranges)
    {
        Name = name;
        Device = device;
        Package = package;
        Instances = instances;
        AddressRanges = ranges;
    }

    /// <summary><c>SYSTEMINFO NAME</c>: "video_cp", "composable_pr_join_subtract".</summary>
    public string Name { get; }

    /// <summary><c>SYSTEMINFO DEVICE</c>: "7z020".</summary>
    public string Device { get; }

    public string Package { get; }

    public IReadOnlyList<IpInstance> Instances { get; }

    public IReadOnlyList<AddressRange> AddressRanges { get; }

    public IpInstance? Instance(string name) =>
        Instances.FirstOrDefault(i => i.Instance == name || i.FullName == name || i.FullName == "/" + name);

    public static HardwareHandoff Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    public static HardwareHandoff Parse(Stream xml, string source = "hwh")
    {
        XDocument doc;
        try
        {
            doc = XDocument.Load(XmlReader.Create(xml, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null }));
        }
        catch (XmlException e)
        {
            throw new HardwareHandoffException(source, $"not well-formed XML at line {e.LineNumber}, position {e.LinePosition}: {e.Message}");
        }
        var root = doc.Root;
        if (root?.Name.LocalName != "EDKSYSTEM")
        {
            throw new HardwareHandoffException(source, $"expected an EDKSYSTEM root element, found {root?.Name.LocalName ?? "nothing"}");
        }
        var info = root.Element("SYSTEMINFO") ?? throw new HardwareHandoffException(source, "SYSTEMINFO element is missing");
        var instances = root.Element("MODULES")?.Elements("MODULE").Select(m => new IpInstance(
            (string?)m.Attribute("FULLNAME") ?? "",
            (string?)m.Attribute("INSTANCE") ?? "",
            (string?)m.Attribute("MODTYPE") ?? "",
            (string?)m.Attribute("VLNV") ?? "",
            m.Element("PARAMETERS")?.Elements("PARAMETER")
                .GroupBy(p => (string?)p.Attribute("NAME") ?? "")
                .ToDictionary(g => g.Key, g => (string?)g.First().Attribute("VALUE") ?? "") ?? [])).ToList() ?? [];
        var ranges = root.Descendants("MEMRANGE").Select((r, i) => new AddressRange(
            (string?)r.Attribute("INSTANCE") ?? "",
            (string?)r.Attribute("SLAVEBUSINTERFACE") ?? "",
            (string?)r.Attribute("MASTERBUSINTERFACE") ?? "",
            (string?)r.Attribute("MEMTYPE") ?? "",
            Hex(r, "BASEVALUE", source, i),
            Hex(r, "HIGHVALUE", source, i))).ToList();
        return new HardwareHandoff((string?)info.Attribute("NAME") ?? "", (string?)info.Attribute("DEVICE") ?? "", (string?)info.Attribute("PACKAGE") ?? "", instances, ranges);
    }

    private static ulong Hex(XElement range, string attribute, string source, int index)
    {
        var text = (string?)range.Attribute(attribute);
        return text is not null && text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new HardwareHandoffException(source, $"MEMRANGE #{index} has {attribute}=\"{text}\", expected a 0x… address");
    }
}
