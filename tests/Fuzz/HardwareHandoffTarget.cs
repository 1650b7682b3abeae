using Dpr.Fabric.Drivers;

namespace Dpr.Fuzz;

/// <summary>
/// A Vivado <c>.hwh</c> as the module catalog reads it: <see cref="HardwareHandoff.Parse"/>, then the
/// look-ups a driver binding makes. Expected: <see cref="HardwareHandoffException"/>.
/// </summary>
public sealed class HardwareHandoffTarget : IFuzzTarget
{
    public string Name => "hwh";

    public string Description => "HardwareHandoff.Parse, Instance, AddressRange.Size";

    public void Run(byte[] input)
    {
        HardwareHandoff hwh;
        try
        {
            hwh = HardwareHandoff.Parse(new MemoryStream(input, writable: false), "fuzz");
        }
        catch (HardwareHandoffException)
        {
            return;
        }
        foreach (var range in hwh.AddressRanges)
        {
            _ = range.Size;
            _ = hwh.Instance(range.Instance);
        }
    }

    public IEnumerable<byte[]> Dictionary => Tokens.Of(
        "<EDKSYSTEM", "</EDKSYSTEM>", "<SYSTEMINFO", "<MODULES>", "</MODULES>", "<MODULE", "</MODULE>", "<PARAMETERS>", "<PARAMETER",
        "<MEMORYMAP>", "<MEMRANGE", "/>", "BASEVALUE=\"", "HIGHVALUE=\"", "INSTANCE=\"", "FULLNAME=\"", "MODTYPE=\"", "VLNV=\"",
        "NAME=\"", "VALUE=\"", "DEVICE=\"", "PACKAGE=\"", "SLAVEBUSINTERFACE=\"", "MASTERBUSINTERFACE=\"", "MEMTYPE=\"",
        "REGISTER", "MEMORY", "0x", "0xFFFFFFFFFFFFFFFF", "0x10000000000000000", "<!DOCTYPE x [<!ENTITY e \"e\">]>", "<![CDATA[", "]]>",
        "&amp;", "&#x0;", "<?xml version=\"1.0\"?>");

    public IEnumerable<Seed> Seeds(FixtureDirectory fixtures)
    {
        // Every real partial's .hwh (19 to 65 kB); the static design's is 1.8 MB, past afl-fuzz's 1 MB limit.
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(fixtures.Real("x"))!, "*_partial.hwh").Order(StringComparer.Ordinal))
        {
            yield return new Seed(Path.GetFileName(file), File.ReadAllBytes(file));
        }
        yield return new Seed("pr_0_gpio.hwh", File.ReadAllBytes(fixtures.Real("pr_0_gpio.hwh")));
    }
}
