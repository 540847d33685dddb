internal import CLMDB

/// Refuses network file systems: LMDB relies on `fcntl` locks and a shared memory map,
/// which NFS, SMB and 9p do not keep coherent between hosts.
enum FileSystemCheck {
    /// The network file system's name, or `nil` when the path is on a local one.
    static func networkFileSystemName(at path: String) -> String? {
        switch UInt32(truncatingIfNeeded: clmdb_fs_type(path)) {
        case 0x6969: return "nfs"
        case 0x517B: return "smb"
        case 0xFF53_4D42: return "cifs"
        case 0xFE53_4D42: return "smb2"
        case 0x0102_1997: return "9p"
        case 0x7375_7245: return "coda"
        case 0x5346_414F: return "afs"
        case 0x0BD0_0BD0: return "lustre"
        default: return nil
        }
    }
}
