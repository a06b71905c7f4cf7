%clear defalias
