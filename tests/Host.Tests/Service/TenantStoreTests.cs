using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dpr.Host.Service;
using Dpr.TestKit;

namespace Dpr.Host.Tests.Service;

/// <summary>The tenant file: the first form read, the current one written, names, keys rotated and revoked as another process sees them.</summary>
public sealed class TenantStoreTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"dpr-tenant-store-{Guid.NewGuid():N}");

    public TenantStoreTests() => Directory.CreateDirectory(_data);

    public void Dispose() => Directory.Delete(_data, recursive: true);

    /// <summary>A file as dpr wrote it before keys had names: a list of tenants with one key hash each; names of that time included upper case and '_'.</summary>
    private void WriteFirstForm(params (string Name, bool Admin, string Key)[] tenants) =>
        File.WriteAllText(Path.Combine(_data, TenantStore.FileName), JsonSerializer.Serialize(tenants.Select(t => new
        {
            name = t.Name,
            admin = t.Admin,
            keyHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(t.Key))),
            created = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero),
        })));

    [Fact]
    public void A_file_of_the_first_form_is_read_its_keys_keep_working_and_the_next_change_writes_the_current_form()
    {
        WriteFirstForm(("alice", false, "dpr_alicesOldKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), ("Ops_Team", true, "dpr_opsOldKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"));
        var store = new TenantStore(_data);

        var alice = store.Identify("dpr_alicesOldKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        Assert.Equal("alice", alice?.Tenant.Name);
        Assert.Equal(TenantStore.FirstKeyName, alice?.Key.Name);
        Assert.Null(alice?.Key.Prefix);
        // A name the current rule refuses still works: it was made before the rule.
        Assert.True(store.Authenticate("dpr_opsOldKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")!.Admin);
        Assert.Null(store.Authenticate("dpr_alicesOldKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"));

        var bob = store.Add("bob", admin: false);

        using var written = JsonDocument.Parse(File.ReadAllText(Path.Combine(_data, TenantStore.FileName)));
        Assert.Equal(2, written.RootElement.GetProperty("version").GetInt32());
        Assert.Equal(["Ops_Team", "alice", "bob"], written.RootElement.GetProperty("tenants").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        var again = new TenantStore(_data);
        Assert.Equal("alice", again.Authenticate("dpr_alicesOldKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")?.Name);
        Assert.Equal("Ops_Team", again.Authenticate("dpr_opsOldKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")?.Name);
        Assert.Equal("bob", again.Authenticate(bob)?.Name);
        Assert.Equal(bob[..12], again.Find("bob")!.Keys.Single().Prefix);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("-rf")]
    [InlineData("MALLORY")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("a_b")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")]
    public void Names_outside_the_rule_are_refused(string name)
    {
        var e = Assert.Throws<TenantChangeException>(() => new TenantStore(_data).Add(name, admin: false));

        Assert.Equal(TenantChangeError.Invalid, e.Error);
        Assert.Contains(TenantStore.NamePattern, e.Message);
    }

    [Fact]
    public void Names_are_unique_without_regard_to_case_also_beside_an_old_upper_case_name()
    {
        WriteFirstForm(("Mallory", false, "dpr_malloryOldKeyCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"));
        var store = new TenantStore(_data);

        var e = Assert.Throws<TenantChangeException>(() => store.Add("mallory", admin: false));

        Assert.Equal(TenantChangeError.Exists, e.Error);
        Assert.Contains("'Mallory' exists already", e.Message);
        store.Add("a-1", admin: false);
        Assert.Equal("a-1", new TenantStore(_data).Find("A-1")?.Name);
        Assert.Equal("Mallory", store.Find("MALLORY")?.Name);
    }

    [Fact]
    public void Rotated_and_revoked_keys_are_seen_by_another_process_store_from_its_next_authentication()
    {
        var cli = new TenantStore(_data);
        var first = cli.Add("alice", admin: false);
        var service = new TenantStore(_data);
        Assert.Equal("alice", service.Authenticate(first)?.Name);

        var (second, made, revoked) = cli.Rotate("alice", null, replace: false);
        Assert.Equal("key-2", made.Name);
        Assert.Empty(revoked);
        Assert.Equal("key-2", service.Identify(second)?.Key.Name);
        Assert.Equal("alice", service.Authenticate(first)?.Name);

        Assert.Equal([TenantStore.FirstKeyName], cli.Revoke("alice", TenantStore.FirstKeyName).Select(k => k.Name));
        Assert.Null(service.Authenticate(first));
        Assert.Equal("alice", service.Authenticate(second)?.Name);

        var (third, _, replaced) = cli.Rotate("alice", "ci", replace: true);
        Assert.Equal(["key-2"], replaced.Select(k => k.Name));
        Assert.Null(service.Authenticate(second));
        Assert.Equal("ci", service.Identify(third)?.Key.Name);

        Assert.Single(cli.Revoke("alice", null));
        Assert.Null(service.Authenticate(third));
        Assert.Empty(service.Find("alice")!.Keys);
        Assert.Equal(TenantChangeError.NotFound, Assert.Throws<TenantChangeException>(() => cli.Revoke("alice", "ci")).Error);
        Assert.Equal(TenantChangeError.NotFound, Assert.Throws<TenantChangeException>(() => cli.Rotate("nobody", null, false)).Error);
    }

    [Fact]
    public async Task A_second_write_of_the_same_length_and_modification_time_is_still_seen()
    {
        var first = new TenantStore(_data).Add("alice", admin: false);
        var service = new TenantStore(_data);
        Assert.Equal("alice", service.Authenticate(first)?.Name);
        var path = Path.Combine(_data, TenantStore.FileName);
        var (length, written) = (new FileInfo(path).Length, File.GetLastWriteTimeUtc(path));

        // Another key's hash in place of the first's: the same length, and the time a coarse file system clock would leave.
        var other = first[..12] + new string('z', first.Length - 12);
        File.WriteAllText(path, File.ReadAllText(path).Replace(Sha256(first), Sha256(other), StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(path, written);
        Assert.Equal(length, new FileInfo(path).Length);

        await Eventually.TrueAsync(() => service.Authenticate(first) is null, "the first key refused", TimeSpan.FromSeconds(10));
        Assert.Equal("alice", service.Authenticate(other)?.Name);
    }

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    [Theory]
    [InlineData("dpr_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", "dpr_01234567")]
    [InlineData("short-secret", "shor")]
    [InlineData("ab", "")]
    public void A_prefix_never_holds_a_whole_key(string key, string prefix)
    {
        Assert.Equal(prefix, TenantStore.PrefixOf(key));
    }
}
