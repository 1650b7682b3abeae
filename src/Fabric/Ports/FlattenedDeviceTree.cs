using System.Buffers.Binary;
using System.Text;

namespace Dpr.Fabric.Ports;

/// <summary>
/// Writes and reads the flattened device tree blob (a <c>.dtb</c>/<c>.dtbo</c>), version 17, as the
/// Devicetree Specification v0.4 chapter 5 defines it: a 40-byte big-endian header, an empty memory
/// reservation block (one 16-byte zero entry), the structure block (FDT_BEGIN_NODE 0x1 + name,
/// FDT_PROP 0x3 + length + string offset + value, FDT_END_NODE 0x2, FDT_END 0x9, each item padded to
/// 4 bytes) and the strings block of property names. What <c>dtc -I dts -O dtb</c> emits for a tree
/// without labels or phandles, so an overlay needs no dtc on the board.
/// </summary>
public static class FlattenedDeviceTree
{
    public const uint Magic = 0xD00DFEED;

    private const int HeaderBytes = 40;
    private const uint BeginNode = 0x1;
    private const uint EndNode = 0x2;
    private const uint Prop = 0x3;
    private const uint Nop = 0x4;
    private const uint End = 0x9;
    private const uint Version = 17;
    private const uint LastCompatibleVersion = 16;

    public static byte[] Write(DeviceTreeNode root)
    {
        var strings = new List<byte>();
        var offsets = new Dictionary<string, int>(StringComparer.Ordinal);
        var structure = new List<byte>();
        void Word(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, value);
            structure.AddRange(b);
        }
        void Pad()
        {
            while (structure.Count % 4 != 0)
            {
                structure.Add(0);
            }
        }
        void Node(DeviceTreeNode node)
        {
            Word(BeginNode);
            structure.AddRange(Encoding.ASCII.GetBytes(node.Name));
            structure.Add(0);
            Pad();
            foreach (var (name, value) in node.Properties)
            {
                if (!offsets.TryGetValue(name, out var offset))
                {
                    offsets[name] = offset = strings.Count;
                    strings.AddRange(Encoding.ASCII.GetBytes(name));
                    strings.Add(0);
                }
                Word(Prop);
                Word((uint)value.Length);
                Word((uint)offset);
                structure.AddRange(value);
                Pad();
            }
            foreach (var child in node.Children)
            {
                Node(child);
            }
            Word(EndNode);
        }
        Node(root);
        Word(End);

        const int reservationOffset = HeaderBytes;
        const int structureOffset = reservationOffset + 16;
        var stringsOffset = structureOffset + structure.Count;
        var total = stringsOffset + strings.Count;
        var blob = new byte[total];
        var header = blob.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(header[0..], Magic);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], structureOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header[12..], (uint)stringsOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header[16..], reservationOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header[20..], Version);
        BinaryPrimitives.WriteUInt32BigEndian(header[24..], LastCompatibleVersion);
        BinaryPrimitives.WriteUInt32BigEndian(header[28..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(header[32..], (uint)strings.Count);
        BinaryPrimitives.WriteUInt32BigEndian(header[36..], (uint)structure.Count);
        structure.CopyTo(blob, structureOffset);
        strings.CopyTo(blob, stringsOffset);
        return blob;
    }

    /// <summary>The tree in <paramref name="bytes"/>; every malformed input ends in a <see cref="DeviceTreeFormatException"/>.</summary>
    public static DeviceTreeNode Read(ReadOnlySpan<byte> bytes)
    {
        // Local functions below cannot capture a span.
        var blob = bytes.ToArray();
        if (blob.Length < HeaderBytes)
        {
            throw new DeviceTreeFormatException(blob.Length, $"expected a {HeaderBytes}-byte header, found {blob.Length} bytes");
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(blob) is var magic && magic != Magic)
        {
            throw new DeviceTreeFormatException(0, $"expected the magic 0x{Magic:X8}, found 0x{magic:X8}");
        }
        uint H(int at) => BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(at));
        var (total, structureOffset, stringsOffset, stringsSize, structureSize) = (H(4), H(8), H(12), H(32), H(36));
        if (total > blob.Length || structureOffset + (ulong)structureSize > total || stringsOffset + (ulong)stringsSize > total)
        {
            throw new DeviceTreeFormatException(4, $"the header's blocks (structure {structureOffset}+{structureSize}, strings {stringsOffset}+{stringsSize}) do not fit its {total} bytes in a {blob.Length}-byte blob");
        }
        var strings = new ArraySegment<byte>(blob, (int)stringsOffset, (int)stringsSize);
        var structure = new ArraySegment<byte>(blob, (int)structureOffset, (int)structureSize);
        var pos = 0;
        uint Next()
        {
            if (pos + 4 > structure.Count)
            {
                throw new DeviceTreeFormatException(structureOffset + pos, "the structure block ends before FDT_END");
            }
            var value = BinaryPrimitives.ReadUInt32BigEndian(structure.AsSpan(pos));
            pos += 4;
            return value;
        }
        static string Name(ArraySegment<byte> from, int at, long fileOffset)
        {
            var length = at >= 0 && at < from.Count ? from.AsSpan(at).IndexOf((byte)0) : -1;
            if (length < 0)
            {
                throw new DeviceTreeFormatException(fileOffset, "a name is not NUL-terminated");
            }
            return Encoding.ASCII.GetString(from.AsSpan(at, length));
        }

        var stack = new Stack<(string Name, List<KeyValuePair<string, byte[]>> Props, List<DeviceTreeNode> Children)>();
        DeviceTreeNode? root = null;
        while (true)
        {
            var token = Next();
            switch (token)
            {
                case BeginNode:
                    if (root is not null)
                    {
                        throw new DeviceTreeFormatException(structureOffset + pos - 4, "a second root node");
                    }
                    var name = Name(structure, pos, structureOffset + pos);
                    pos = (pos + name.Length + 1 + 3) & ~3;
                    stack.Push((name, [], []));
                    break;
                case Prop:
                    if (stack.Count == 0)
                    {
                        throw new DeviceTreeFormatException(structureOffset + pos - 4, "a property outside any node");
                    }
                    var length = (int)Next();
                    var nameOffset = (int)Next();
                    if (length < 0 || pos + length > structure.Count)
                    {
                        throw new DeviceTreeFormatException(structureOffset + pos, $"a {length}-byte property value runs past the structure block");
                    }
                    stack.Peek().Props.Add(new(Name(strings, nameOffset, stringsOffset + nameOffset), structure.AsSpan(pos, length).ToArray()));
                    pos = (pos + length + 3) & ~3;
                    break;
                case EndNode:
                    if (stack.Count == 0)
                    {
                        throw new DeviceTreeFormatException(structureOffset + pos - 4, "FDT_END_NODE without a node");
                    }
                    var done = stack.Pop();
                    var node = new DeviceTreeNode(done.Name, done.Props, done.Children);
                    if (stack.Count == 0)
                    {
                        root = node;
                    }
                    else
                    {
                        stack.Peek().Children.Add(node);
                    }
                    break;
                case Nop:
                    break;
                case End:
                    return stack.Count == 0 && root is not null
                        ? root
                        : throw new DeviceTreeFormatException(structureOffset + pos - 4, "FDT_END inside an open node or before the root");
                default:
                    throw new DeviceTreeFormatException(structureOffset + pos - 4, $"expected a structure token (1, 2, 3, 4 or 9), found 0x{token:X8}");
            }
        }
    }
}
